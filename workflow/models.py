"""The kernel has no tables of its own: statuses live on each domain's model, routing in viewflow's
Process and Task rows (the supervised item's process moved to `tasks.ItemProcess`)."""
