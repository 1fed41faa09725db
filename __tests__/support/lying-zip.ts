import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

/**
 * A small zip whose central directory claims `count` deflated entries of
 * `declaredBytes` each: a zip bomb by its declared sizes, which a reader that
 * trusts them before reading sees as it is meant to. Written by Python, then
 * patched, as no zip library writes a size it did not count.
 */
export function lyingZip(directory: string, count: number, declaredBytes: number): string {
  const file = join(directory, 'bomb.zip')
  const script = `
import struct, sys, zipfile
path, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
  for i in range(count): z.writestr(f'part-{i}.bin', b'x')
data = bytearray(open(path, 'rb').read())
at = data.find(b'PK\\x01\\x02')
while at >= 0:
  struct.pack_into('<I', data, at + 24, size)
  at = data.find(b'PK\\x01\\x02', at + 4)
open(path, 'wb').write(data)`
  execFileSync('python3', ['-c', script, file, String(count), String(declaredBytes)])
  return file
}
