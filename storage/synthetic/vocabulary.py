"""Words and ticket texts for the synthetic book: plausible names, calm and frustrated tickets."""

from __future__ import annotations

FIRST_NAMES = (
    "Ana", "Ben", "Chloé", "Dev", "Elena", "Femi", "Grace", "Hiro", "Ines", "Jonas", "Kara", "Luis",
    "Maya", "Nikhil", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tomás", "Uma", "Viktor", "Wen", "Yara",
)  # fmt: skip
LAST_NAMES = (
    "Lima", "Okafor", "Schmidt", "Tanaka", "Rossi", "Nguyen", "Kowalski", "Haddad", "Murphy", "Silva",
    "Johansson", "Patel", "Moreau", "Cohen", "Adeyemi", "García", "Novak", "Larsen",
)  # fmt: skip
NAME_HEADS = (
    "Acme", "Blue", "Cedar", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper", "Kestrel",
    "Lumen", "Maple", "Nimbus", "Onyx", "Pioneer", "Quartz", "Redwood", "Summit", "Tidal", "Umber",
    "Vector", "Willow", "Zenith", "Atlas", "Beacon", "Cobalt", "Drift", "Evergreen", "Falcon", "Glacier",
    "Horizon", "Ironwood", "Jasper", "Keystone", "Lark", "Meridian", "Northwind", "Orbit", "Polaris",
)  # fmt: skip
NAME_TAILS = (
    "Labs", "Health", "Logistics", "Analytics", "Foods", "Robotics", "Media", "Capital", "Energy",
    "Systems", "Retail", "Studios", "Bio", "Freight", "Insurance", "Networks", "Learning", "Works",
)  # fmt: skip
INDUSTRIES = (
    "healthcare",
    "logistics",
    "retail",
    "fintech",
    "manufacturing",
    "media",
    "education",
    "software",
)
TIMEZONES = ("America/New_York", "Europe/London", "Europe/Berlin", "America/Los_Angeles", "Asia/Singapore")
FEATURES = ("dashboards", "exports", "alerts", "api", "sso", "workflows", "reports")

CALM_TICKETS: tuple[tuple[str, str], ...] = (
    ("How do I add a new admin?", "Hi, we hired a new ops lead and would like to make her an admin. Thanks!"),
    (
        "Question about CSV export columns",
        "Could you tell us whether the export can include the region column?",
    ),
    (
        "SSO set-up for a second domain",
        "We acquired a small team and want them to log in with their own domain.",
    ),
    ("Feature request: dark mode", "Several of our analysts asked for a dark theme. Not urgent at all."),
    ("Invoice address change", "Please use our new billing address from next month on."),
    ("Report scheduling time zone", "Scheduled reports arrive at 2am our time; can we pick the zone?"),
)
FRUSTRATED_TICKETS: tuple[tuple[str, str], ...] = (
    (
        "Export failing again",
        "This is the third time this week the export failed. We are losing patience and our board pack is late.",
    ),
    (
        "Still no answer on the sync bug",
        "We reported the sync bug ten days ago and nobody has given us a real answer. This is unacceptable.",
    ),
    (
        "Dashboards unusable",
        "Dashboards take over a minute to load. My team has stopped using them and gone back to spreadsheets.",
    ),
    (
        "Considering alternatives",
        "Honestly we are evaluating other tools. The outages this month have hurt us with our own customers.",
    ),
    (
        "Escalation: data missing",
        "Data from last week is missing in every report. Please escalate this to engineering today.",
    ),
)
INCIDENT_TICKETS: tuple[tuple[str, str], ...] = (
    (
        "URGENT: suspected breach, need audit logs",
        "Our security team is investigating a breach. We need full audit logs for the last 30 days immediately.",
    ),
    (
        "Security incident: rotate all API keys",
        "Please help us rotate every API key today. We cannot wait for the normal queue.",
    ),
)
