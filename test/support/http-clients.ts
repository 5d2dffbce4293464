// HTTP clients for tests that need what `fetch` hides: a bare socket that writes a request's whole
// body before it reads (as many simple clients do), and the real `curl`.
import { execFile } from 'node:child_process'
import { connect } from 'node:net'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

export interface RawAnswer {
  /** status lines in the order they came: a 100 Continue, then the final one */
  statuses: number[]
  /** of the final answer, lower case */
  headers: string
  body: string
  /** bytes of the body the client wrote before the connection ended */
  written: number
  /** the socket error the client met, if any (EPIPE, ECONNRESET) */
  error?: string
}

export interface RawPostOptions {
  headers?: Record<string, string>
  /** Transfer-Encoding: chunked instead of a Content-Length */
  chunked?: boolean
  /** send `Expect: 100-continue` and the body only after a 100 */
  waitFor100?: boolean
  /**
   * send the body that long after the head, as a busy client may: a server that answers on the
   * head alone and closes has then closed before the body, whatever the timing of the machine
   */
  bodyAfterMs?: number
}

/**
 * POST on a bare socket: sends the head, then (unless it waits for a 100) writes the whole body as
 * fast as the socket takes it, reading nothing until it is done; resolves when the server closes
 * the connection (ask for `connection: close` to get a keep-alive answer).
 */
export function rawPost(
  base: string,
  path: string,
  body: Buffer,
  options: RawPostOptions = {},
): Promise<RawAnswer> {
  const url = new URL(base)
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname)
    let received = ''
    let written = 0
    let error: string | undefined
    let bodyStarted = false
    const head = [
      `POST ${path} HTTP/1.1`,
      `host: ${url.host}`,
      'content-type: application/json',
      options.chunked ? 'transfer-encoding: chunked' : `content-length: ${body.byteLength}`,
      ...(options.waitFor100 ? ['expect: 100-continue'] : []),
      ...Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
      '',
      '',
    ].join('\r\n')
    const frames: Buffer[] = []
    const step = 64 * 1024
    for (let offset = 0; offset < body.byteLength; offset += step) {
      const piece = body.subarray(offset, offset + step)
      frames.push(
        options.chunked
          ? Buffer.concat([Buffer.from(`${piece.byteLength.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
          : piece,
      )
    }
    if (options.chunked) frames.push(Buffer.from('0\r\n\r\n'))
    let next = 0
    const writeBody = () => {
      bodyStarted = true
      while (next < frames.length && !socket.destroyed) {
        const frame = frames[next++]!
        written += frame.byteLength
        if (!socket.write(frame)) {
          socket.once('drain', writeBody)
          return
        }
      }
    }
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1')
      if (options.waitFor100 && !bodyStarted && /^HTTP\/1\.1 100 /.test(received)) writeBody()
    })
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message
    })
    socket.on('close', () => {
      const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]))
      const last = received.lastIndexOf('HTTP/1.1 ')
      const [headers = '', answer = ''] = received.slice(Math.max(last, 0)).split('\r\n\r\n')
      resolve({ statuses, headers: headers.toLowerCase(), body: answer, written, error })
    })
    socket.write(head)
    if (!options.waitFor100) setTimeout(writeBody, options.bodyAfterMs ?? 0)
    socket.setTimeout(20_000, () => socket.destroy())
  })
}

export interface CurlAnswer {
  status: number
  /** bytes of the body curl sent */
  uploaded: number
  body: string
}

/** POST `body` with the real curl (which asks `Expect: 100-continue` for bodies over 1 MiB). */
export async function curlPost(
  url: string,
  body: string | Buffer,
  headers: string[] = [],
): Promise<CurlAnswer> {
  const args = ['-sS', '-o', '-', '-w', '\\n%{http_code} %{size_upload}', '-X', 'POST']
  for (const header of ['content-type: application/json', ...headers]) args.push('-H', header)
  args.push('--data-binary', '@-', url)
  const child = execFileAsync('curl', args, { encoding: 'utf8', maxBuffer: 1 << 20 })
  child.child.stdin?.end(body)
  const { stdout } = await child
  const lines = stdout.trimEnd().split('\n')
  const [status, uploaded] = lines.pop()!.split(' ').map(Number)
  return { status: status!, uploaded: uploaded!, body: lines.join('\n') }
}
