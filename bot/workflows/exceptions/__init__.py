"""Account exceptions ("quiet until it gets worse"), from offer to lapse.

- `offers`: after the owner's second known-context dismissal of an account's trigger in six
  weeks, offer them an exception in their DM (owed once, delivered by the notice engine);
- `setting`: accept or decline the offer, set one from a card's menu, lift one from App Home;
- `lapses`: the cycle records the exceptions `scoring.exceptions` found lapsed;
- `views`: what App Home and `explain` show.
The quieting itself is a guardrail in scoring (`scoring.exceptions.apply_exceptions`).
Import the module you need (`from bot.workflows.exceptions import setting`): the card
decisions import `offers`, and `setting` builds on the card decisions.
"""
