"""REST endpoints of activities, tasks and calendar events (a public shape)."""
