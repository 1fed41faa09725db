// The unit group's setup file: a unit test starts no server, opens no connection
// and runs no process, so that the group stays fast and runs anywhere. Each of
// those throws here, saying where the test belongs instead.
import childProcess from 'node:child_process'
import { syncBuiltinESMExports } from 'node:module'
import net from 'node:net'

function refuse(what: string): never {
  throw new Error(
    `A unit test may not ${what}. Move this test to __tests__/e2e/, the group for tests that start servers, open connections or run processes.`
  )
}

net.Socket.prototype.connect = function connect(): never {
  refuse('open a network connection')
}
net.Server.prototype.listen = function listen(): never {
  refuse('start a server')
}
// Every asynchronous way to start a process (spawn, exec, execFile, fork) goes through ChildProcess#spawn.
Object.assign(childProcess.ChildProcess.prototype, { spawn: () => refuse('start a process') })
for (const name of ['spawnSync', 'execSync', 'execFileSync'] as const) {
  Object.assign(childProcess, { [name]: () => refuse('start a process') })
}
// The named imports of node:child_process follow the changed functions.
syncBuiltinESMExports()
