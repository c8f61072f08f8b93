// A dynalite server in a process of its own (startJournalTables({ ownProcess: true })): it listens on
// loopback, reports its port to the parent over IPC, and exits when the parent goes away.
'use strict';
const dynalite = require('dynalite');

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('disconnect', () => process.exit(0));
