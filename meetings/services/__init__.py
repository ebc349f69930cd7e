"""Every write to `meetings`, as keyword-only functions, one module per subject: `meetings`
(propose, decide, schedule, attendance), `minutes` (draft, consult, issue), `notices` (通报),
`escalations` (重大事项) and `membership` (成员调整, B角); `common` holds what they share.

Each service checks who is acting, validates, writes, records the audit entry and moves the flow
(`meetings.flows`) in one transaction; who is told is declared in `deadlines.events` (sent after commit)."""
