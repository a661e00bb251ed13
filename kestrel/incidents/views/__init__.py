"""Incident pages, one module per page: dashboard (the Dashboard: alerts and my history), add
(Add Incident and its drafts), view (Viewing Incident), actions (Add Action), correct
(corrections), chronology (a student's chronology), search (the staff type-ahead); form_parts
holds what Add Incident and Add Action share."""
