-- When a subscription last became active (created, reactivated, or its time or zone
-- changed): digest periods that fell due before it are not owed to the channel, so
-- subscribing at 09:00 to an 08:00 digest does not deliver one at once.
ALTER TABLE subscriptions ADD COLUMN active_since TEXT;
UPDATE subscriptions SET active_since = created_at WHERE active_since IS NULL;
CREATE INDEX subscriptions_active ON subscriptions(active);
