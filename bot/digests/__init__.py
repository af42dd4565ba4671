"""Daily digests: subscriptions, what a digest holds, delivery, pacing and the scheduler."""
