"""Words and texts for the synthetic book: people, company names, industries, features, and
support tickets in the tones the seeds describe (calm, frustrated, escalating, in crisis)."""

from __future__ import annotations

FIRST_NAMES = (
    "Ana", "Ben", "Chloé", "Dev", "Elena", "Femi", "Grace", "Hiro", "Ines", "Jonas", "Kara", "Luis",
    "Maya", "Nikhil", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tomás", "Uma", "Viktor", "Wen", "Yara",
    "Aisha", "Bruno", "Carmen", "Dmitri", "Emeka", "Farah", "Gustav", "Hana", "Ivan", "Julia",
)  # fmt: skip
LAST_NAMES = (
    "Lima", "Okafor", "Schmidt", "Tanaka", "Rossi", "Nguyen", "Kowalski", "Haddad", "Murphy", "Silva",
    "Johansson", "Patel", "Moreau", "Cohen", "Adeyemi", "García", "Novak", "Larsen", "Brennan", "Kim",
    "Fischer", "Mendes", "O'Neill", "Sato", "Horvath", "Baptiste", "Eriksen", "Dubois",
)  # fmt: skip
COMPANY_HEADS = (
    "Acme", "Alder", "Amber", "Apex", "Arbor", "Aspen", "Beacon", "Birch", "Blue Fern", "Bright",
    "Cairn", "Cascade", "Cedar", "Clearwater", "Cobalt", "Copper", "Crescent", "Delta", "Drift",
    "Ember", "Evergreen", "Fable", "Falcon", "Fjord", "Foxglove", "Garnet", "Glacier", "Granite",
    "Harbor", "Heron", "Highland", "Horizon", "Indigo", "Iris", "Ironwood", "Jasper", "Juniper",
    "Kestrel", "Keystone", "Kinetic", "Lantern", "Larch", "Linden", "Lumen", "Maple", "Marlow",
    "Mosaic", "Nimbus", "Northstar", "Oakridge", "Obsidian", "Onyx", "Orchard", "Osprey", "Pacific",
    "Pinnacle", "Pioneer", "Prairie", "Quartz", "Quill", "Raven", "Redwood", "Riverbend", "Saffron",
    "Sequoia", "Silverline", "Sparrow", "Stonebridge", "Summit", "Tamarack", "Tidal", "Topaz",
    "Trillium", "Umber", "Vantage", "Vector", "Verdant", "Willow", "Wren", "Yarrow", "Zenith",
)  # fmt: skip
COMPANY_TAILS = (
    "Analytics", "Apparel", "Bio", "Brands", "Capital", "Clinics", "Cloud", "Construction", "Dental",
    "Designs", "Energy", "Engineering", "Fitness", "Foods", "Freight", "Games", "Health", "Hospitality",
    "Insurance", "Labs", "Learning", "Legal", "Logistics", "Manufacturing", "Marine", "Media",
    "Mobility", "Networks", "Pharma", "Realty", "Retail", "Robotics", "Security", "Software",
    "Studios", "Supply", "Systems", "Telecom", "Travel", "Works",
)  # fmt: skip
COMPANY_SUFFIXES = ("Inc", "Group", "Co", "Ltd", "GmbH", "Partners", "Holdings", "International", "AG")
INDUSTRIES = (
    "healthcare", "logistics", "retail", "fintech", "manufacturing", "media", "education",
    "software", "insurance", "hospitality", "energy", "public sector",
)  # fmt: skip
TIMEZONES = ("America/New_York", "Europe/London", "Europe/Berlin", "America/Los_Angeles", "Asia/Singapore")
FEATURES = ("dashboards", "exports", "alerts", "api", "sso", "workflows", "reports", "integrations")
ONBOARDING_STEPS = (
    ("Kickoff call", 7),
    ("SSO configured", 21),
    ("Data import", 35),
    ("First report shared", 60),
    ("Admin training", 75),
)

# (subject, body) pairs. Customer-written text: data, never instructions.
CALM_TICKETS: tuple[tuple[str, str], ...] = (
    ("How do I add a new admin?", "Hi, we hired a new ops lead and would like to make her an admin. Thanks!"),
    ("Question about CSV export columns", "Could you tell us whether the export can include the region column?"),
    ("SSO set-up for a second domain", "We acquired a small team and want them to log in with their own domain."),
    ("Feature request: dark mode", "Several of our analysts asked for a dark theme. Not urgent at all."),
    ("Invoice address change", "Please use our new billing address from next month on. Thank you."),
    ("Report scheduling time zone", "Scheduled reports arrive at 2am our time; can we pick the time zone?"),
    ("API rate limits", "What are the rate limits on the reporting API? We are planning a nightly sync."),
    ("Renaming a workspace", "Is it safe to rename our main workspace, or will links break?"),
    ("Training material for new hires", "Do you have a short video we can share with new team members?"),
    ("Password reset email not arriving", "One user says the reset email never arrived; it may be our spam filter."),
    ("Alert thresholds", "Can alerts fire on a percentage change instead of an absolute number?"),
    ("Thanks for the quick fix", "Just wanted to say the dashboard fix works great. Appreciate the speed."),
)  # fmt: skip
FRUSTRATED_TICKETS: tuple[tuple[str, str], ...] = (
    ("Export failing again", "This is the third time this week the export failed, we are losing patience. Our board pack is late."),
    ("Still no answer on the sync bug", "We reported the sync bug ten days ago and nobody has given us a real answer. This is unacceptable."),
    ("Dashboards unusable", "Dashboards take over a minute to load. My team has stopped using them and gone back to spreadsheets."),
    ("Considering alternatives", "Honestly we are evaluating other tools. The outages this month have hurt us with our own customers."),
    ("Same problem, again", "We were told this was fixed last month. It is not. I am tired of chasing this."),
    ("Reports showing wrong numbers", "Our finance team found totals that do not match the source. We can no longer trust the reports."),
    ("Why is nobody responding?", "Three emails and no reply. Is anyone actually looking at our tickets?"),
)  # fmt: skip
ESCALATION_TICKETS: tuple[tuple[str, str], ...] = (
    ("Escalation: data missing", "Data from last week is missing in every report. Please escalate this to engineering today."),
    ("Please escalate to your management", "This has dragged on for weeks. I want to speak with someone senior about our account."),
    ("Escalating: integration down for days", "The integration has been down since Monday and it blocks our whole team. Escalate, please."),
)  # fmt: skip
INCIDENT_TICKETS: tuple[tuple[str, str], ...] = (
    ("URGENT: suspected breach, need audit logs", "Our security team is investigating a breach. We need full audit logs for the last 30 days immediately. Nobody has called us back yet and this is not acceptable."),
    ("Security incident: rotate all API keys NOW", "Please help us rotate every API key today. We cannot wait for the normal queue; we are losing patience with the response time."),
    ("Incident: who accessed our data?", "Our CISO needs a list of every login from outside our network this month. This is the second time I am asking."),
)  # fmt: skip
