// Runs Daytona's TypeScript SDK, unmodified, against a `procsh serve` at
// URL, and prints one JSON line per check: {"check","ok","detail"}.
//
//   node run.js <sdk version> <base URL> <token>
//
// The SDK's Process is wired exactly as its Sandbox class does it: the
// generated toolbox client's Configuration (base path = the server, the
// SDK's own default headers) and ProcessApi over the SDK's axios instance
// (which turns HTTP errors into its typed DaytonaError classes). Only the
// Daytona control-plane API, which procsh does not have, is skipped.
'use strict'

const path = require('path')
const { createRequire } = require('module')

const [, , version, baseURL, token] = process.argv
const pkgDir = path.dirname(require.resolve(`sdk-${version}/package.json`))
const sdkRequire = createRequire(path.join(pkgDir, 'package.json'))
const sdk = sdkRequire('./cjs/index.js')
const pkg = sdkRequire('./package.json')
const { Configuration, ProcessApi } = sdkRequire('@daytona/toolbox-api-client')
const { Daytona, Process } = sdk
const DaytonaErrors = sdkRequire('./cjs/errors/DaytonaError.js')

const newSDK = !version.startsWith('0.190.')
const label = pkg.name === '@daytonaio/sdk' ? 'sdk-typescript-legacy' : 'sdk-typescript'
const config = new Configuration({
  basePath: baseURL,
  baseOptions: {
    headers: {
      Authorization: `Bearer ${token}`,
      'X-Daytona-Source': label,
      'X-Daytona-SDK-Version': pkg.version,
      'User-Agent': `${label}/${pkg.version}`,
    },
  },
})
const axios = Daytona.createAxiosInstance()
const proc = new Process(config, new ProcessApi(config, '', axios), async () => token, 'python')

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const results = []
function report(check, ok, detail) {
  const line = JSON.stringify({ check, ok: !!ok, detail: detail === undefined ? '' : String(detail) })
  results.push(line)
  process.stdout.write(line + '\n')
}
function expectEq(what, got, want) {
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`)
  }
}
async function check(name, fn) {
  try {
    const detail = await fn()
    report(name, true, detail)
  } catch (e) {
    report(name, false, `${e && e.constructor && e.constructor.name}: ${e && e.message}`)
  }
}
// expectError runs fn, which must fail with an instance of every class
// named in classes (looked up in the SDK's error module).
async function expectError(fn, classes, msgPart) {
  try {
    await fn()
  } catch (e) {
    for (const c of classes) {
      const cls = DaytonaErrors[c]
      if (!cls) throw new Error(`the SDK has no ${c}`)
      if (!(e instanceof cls)) throw new Error(`${e.constructor.name} (${e.message}) is not a ${c}`)
    }
    if (msgPart && !String(e.message).includes(msgPart)) throw new Error(`message ${JSON.stringify(e.message)} lacks ${JSON.stringify(msgPart)}`)
    return `${e.constructor.name}: ${e.message}`
  }
  throw new Error('no error')
}
async function until(what, cond, ms = 10000) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (cond()) return
    await sleep(20)
  }
  throw new Error(`timed out waiting for ${what}`)
}
// ptyOutput collects a PTY's output as text.
function ptyOutput() {
  const out = { text: '', onData: null }
  const dec = new TextDecoder()
  out.onData = (data) => {
    out.text += dec.decode(data, { stream: true })
  }
  return out
}

async function main() {
  const tag = version.replace(/\./g, '_')

  await check('exec', async () => {
    const r = await proc.executeCommand('echo hello; exit 3')
    expectEq('exitCode', r.exitCode, 3)
    expectEq('result', r.result, 'hello\n')
    expectEq('artifacts.stdout', r.artifacts.stdout, 'hello\n')
    // stdout and stderr share the result (their relative order is not kept).
    const e = await proc.executeCommand('echo oops >&2')
    expectEq('stderr in result', e.result, 'oops\n')
    const c = await proc.executeCommand('pwd; echo $FOO', '/tmp', { FOO: 'bar baz' })
    expectEq('cwd/env result', c.result, '/tmp\nbar baz\n')
  })

  await check('code run', async () => {
    const r = await proc.codeRun('import sys\nprint(sys.argv[1:])', { argv: ['a', 'b'] })
    expectEq('exitCode', r.exitCode, 0)
    expectEq('result', r.result, "['a', 'b']\n")
  })

  const sid = `sdk-${tag}`
  await check('session sync', async () => {
    await proc.createSession(sid)
    await proc.executeSessionCommand(sid, { command: 'cd /tmp && export Z=42' })
    const r = await proc.executeSessionCommand(sid, { command: 'pwd; echo $Z; echo err >&2' })
    expectEq('exitCode', r.exitCode, 0)
    expectEq('stdout', r.stdout, '/tmp\n42\n')
    expectEq('stderr', r.stderr, 'err\n')
    const s = await proc.getSession(sid)
    expectEq('sessionId', s.sessionId, sid)
    if (!s.commands || s.commands.length !== 2) throw new Error(`commands ${JSON.stringify(s.commands)}`)
    const list = await proc.listSessions()
    if (!list.some((x) => x.sessionId === sid)) throw new Error(`list ${JSON.stringify(list)}`)
  })

  await check('session async, logs and callbacks', async () => {
    const r = await proc.executeSessionCommand(sid, {
      command: 'for i in 1 2 3; do echo out$i; echo err$i >&2; sleep 0.1; done; exit 4',
      runAsync: true,
    })
    if (!r.cmdId) throw new Error(`no cmdId: ${JSON.stringify(r)}`)
    let out = ''
    let err = ''
    await proc.getSessionCommandLogs(sid, r.cmdId, (s) => (out += s), (s) => (err += s))
    expectEq('streamed stdout', out, 'out1\nout2\nout3\n')
    expectEq('streamed stderr', err, 'err1\nerr2\nerr3\n')
    let cmd
    for (let i = 0; i < 100 && !(cmd && typeof cmd.exitCode === 'number'); i++) {
      cmd = await proc.getSessionCommand(sid, r.cmdId)
      if (typeof cmd.exitCode !== 'number') await sleep(50)
    }
    expectEq('exitCode', cmd.exitCode, 4)
    const logs = await proc.getSessionCommandLogs(sid, r.cmdId)
    expectEq('logs stdout', logs.stdout, 'out1\nout2\nout3\n')
    expectEq('logs stderr', logs.stderr, 'err1\nerr2\nerr3\n')
  })

  await check('session input', async () => {
    const r = await proc.executeSessionCommand(sid, { command: 'read n; echo hi $n', runAsync: true })
    await proc.sendSessionCommandInput(sid, r.cmdId, 'bob')
    let cmd
    for (let i = 0; i < 200; i++) {
      cmd = await proc.getSessionCommand(sid, r.cmdId)
      if (typeof cmd.exitCode === 'number') break
      await sleep(50)
    }
    expectEq('exitCode', cmd.exitCode, 0)
    const logs = await proc.getSessionCommandLogs(sid, r.cmdId)
    if (!logs.stdout.includes('hi bob\n')) throw new Error(`logs ${JSON.stringify(logs)}`)
    await proc.deleteSession(sid)
  })

  await check('pty create, input, output, resize, exit code', async () => {
    const id = `pty-${tag}`
    const o = ptyOutput()
    const h = await proc.createPty({ id, cwd: '/tmp', envs: { FOO: 'bar baz' }, cols: 100, rows: 30, onData: o.onData })
    await h.sendInput('echo "[$FOO] $(pwd) $(stty size)"\n')
    await until('the echo', () => o.text.includes('[bar baz] /tmp 30 100'))
    await h.resize(120, 40)
    const info = await proc.getPtySessionInfo(id)
    expectEq('size after resize', [info.cols, info.rows], [120, 40])
    await h.sendInput('stty size\n')
    await until('the new size', () => o.text.includes('40 120'))
    const listed = await proc.listPtySessions()
    if (!listed.some((p) => p.id === id)) throw new Error(`list ${JSON.stringify(listed)}`)
    await h.sendInput('exit 7\n')
    const res = await h.wait()
    expectEq('wait()', res, { exitCode: 7, error: 'non-zero exit' })
    await h.disconnect()
  })

  await check('pty reconnect and kill', async () => {
    const id = `pty2-${tag}`
    const h = await proc.createPty({ id, onData: () => {} })
    await h.disconnect()
    const o = ptyOutput()
    const h2 = await proc.connectPty(id, { onData: o.onData })
    await h2.sendInput('echo SECOND$((40+2))\n')
    await until('output on the new connection', () => o.text.includes('SECOND42'))
    await h2.kill()
    const res = await h2.wait()
    expectEq('wait() after kill', res, { exitCode: 137, error: 'SIGKILL' })
    await h2.disconnect()
    await expectError(() => proc.getPtySessionInfo(id), ['DaytonaNotFoundError'])
  })

  await check('typed errors', async () => {
    const out = []
    out.push(await expectError(() => proc.getSession('no-such-session'), newSDK ? ['DaytonaNotFoundError', 'DaytonaProcessNotFoundError'] : ['DaytonaNotFoundError'], 'session not found'))
    if (newSDK) {
      out.push(await expectError(() => proc.executeSessionCommand('no-such-session', { command: 'true' }), ['DaytonaNotFoundError', 'DaytonaProcessNotFoundError'], 'session not found'))
      out.push(await expectError(() => proc.executeCommand('sleep 5', undefined, undefined, 1), ['DaytonaTimeoutError', 'DaytonaProcessExecutionTimeoutError'], 'command execution timeout'))
      out.push(await expectError(() => proc.executeCommand(''), ['DaytonaBadRequestError'], 'invalid request body'))
      out.push(await expectError(() => proc.getPtySessionInfo('no-such-pty'), ['DaytonaProcessNotFoundError'], 'PTY session not found'))
    } else {
      // 0.190.1 types by status only, and the server keeps the v0.190
      // shapes for it: the unknown-session exec is 500, a timeout 408.
      out.push(await expectError(() => proc.executeSessionCommand('no-such-session', { command: 'true' }), ['DaytonaError'], 'session not found'))
      out.push(await expectError(() => proc.executeCommand('sleep 5', undefined, undefined, 1), ['DaytonaError'], 'command execution timeout'))
      out.push(await expectError(() => proc.executeCommand(''), ['DaytonaValidationError'], 'invalid request body'))
      out.push(await expectError(() => proc.getPtySessionInfo('no-such-pty'), ['DaytonaNotFoundError'], 'PTY session not found'))
    }
    await proc.createSession(`dup-${tag}`)
    out.push(await expectError(() => proc.createSession(`dup-${tag}`), ['DaytonaConflictError'], 'already exists'))
    await proc.deleteSession(`dup-${tag}`)
    out.push(await expectError(() => proc.deleteSession(`dup-${tag}`), ['DaytonaNotFoundError']))
    return out.join('; ')
  })
}

main()
  .catch((e) => report('harness', false, e && e.stack))
  .finally(() => process.exit(0))
