"""Signals `members` sends so that apps above it can react without `members` importing them."""

from django.dispatch import Signal

# Sent by `members.services.mechanism_load` inside its transaction, after the mechanism is written,
# with keyword arguments `mechanism`, `spec` (the checked MechanismSpec, whose `extra` holds the
# sections other apps read, e.g. `deadline_rules`) and `by`. A receiver that raises aborts the load.
mechanism_loaded = Signal()

# Sent by `members.contacts.contact_code_send` inside its transaction, with keyword arguments `user`,
# `kind` ("mobile" | "email"), `address` (the new address itself: it is what is verified), `code`,
# `code_id` (the ContactCode row's id) and `now`. The deadlines outbox writes the message and sends it
# on commit (deadlines/contact_messages.py). A receiver that raises aborts the send.
contact_code_issued = Signal()

# Sent by `members.contacts.unit_contact_update` inside its transaction when a unit's group robot
# settings changed, with keyword argument `unit_contact`: the outbox lets that robot's waiting
# messages try again now.
unit_robot_changed = Signal()
