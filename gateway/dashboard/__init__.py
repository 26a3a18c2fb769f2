"""The dashboard: what needs attention per legal entity and intended country, as JSON and as server-rendered
HTML pages, and a CoC a person can read (item numbers and labels beside the values)."""
