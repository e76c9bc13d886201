"""Admin views of requests and their matches (built with the matching engine)."""
