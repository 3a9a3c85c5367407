"""Take over and hand back: a take-over's hand-off packet in the card's thread (`owed`,
`packet`), the hold on the account it starts, and how the hold ends (`hand_back`): a person
clicks **Hand back to Tandem**, or it runs out after `attention.hand_back_days` with a reminder
first (Keep it restarts it)."""
