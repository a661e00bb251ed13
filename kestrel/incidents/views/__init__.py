"""Incident pages, one module per page: add (Add Incident and its drafts), view (Viewing
Incident), actions (Add Action), correct (corrections), search (the staff type-ahead);
form_parts holds what Add Incident and Add Action share."""
