"""News feeds: parsing, polite polling and the poller service."""
