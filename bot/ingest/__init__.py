"""How articles get in: links, the SSRF-safe fetcher, extraction, the resolver, seeds."""
