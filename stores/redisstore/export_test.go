package redisstore

// TrimFeed trims a store's change log as its appends do.
var TrimFeed = (*Store).trimFeed
