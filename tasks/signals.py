"""Signals `tasks` sends so that apps above it can react without `tasks` importing them.

`item_accepted` is sent inside the transaction of 办结 (`tasks.services.item_accept`), after the item
and its shares are written: a receiver's writes commit or roll back with the acceptance itself
(inspections closes the finding the item rectifies)."""

from django.dispatch import Signal

item_accepted = Signal()  # kwargs: item, by
