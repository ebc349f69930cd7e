"""Signals `members` sends so that apps above it can react without `members` importing them."""

from django.dispatch import Signal

# Sent by `members.services.mechanism_load` inside its transaction, after the mechanism is written,
# with keyword arguments `mechanism`, `spec` (the checked MechanismSpec, whose `extra` holds the
# sections other apps read, e.g. `deadline_rules`) and `by`. A receiver that raises aborts the load.
mechanism_loaded = Signal()
