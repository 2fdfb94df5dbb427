"""After the field: review, publication (公示), credit records, referrals (移送) and the follow-up dashboard panels."""
