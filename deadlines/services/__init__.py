"""Every write of the deadlines app, as keyword-only functions, one module per subject:
`calendar` (working days and the due dates that follow them), `rules` (loaded from the mechanism
file), `obligations` (generate, submit, decide, press) and `notifications` (我的通知 read marks)."""
