"""The REST layer every app's API builds on: cursor pagination, strict JSON, errors."""
