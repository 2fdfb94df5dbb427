"""督查: the 法制股's view over plan execution — tasks against their periods, overdue and late inspections,
late publications, referral steps past their clocks — and starting a 定向 / 靶向 task from a warning."""
