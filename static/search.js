// Placeholder replaced by the search implementation.
