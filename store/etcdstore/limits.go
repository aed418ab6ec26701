package etcdstore

// TickBatch is the engine's Options.TickBatch for a store on etcd: a
// Tick takes the due tasks of a few cases at a time, so that a layoff
// whose revocations fall due at once commits in several transactions of
// a few hundred operations each, instead of one of thousands that no
// --max-txn-ops (nor etcd's 1.5 MiB request limit) would take. A due
// task costs about ten operations, a woken case that is nudged about
// twenty-five; see TestStore_largestCommands.
const TickBatch = 20
