import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

/**
 * Archives that only a hand can make, written by Python's zipfile and then
 * patched byte by byte:
 * - `overlapping`: a stored entry `outer.bin` whose data is itself a whole
 *   local entry, `inner.bin` of `bytes` zeros, which a second central record
 *   points at: every header agrees with its record, yet the two files are
 *   the same bytes, the step from which overlapping entries unpack a few
 *   kilobytes to gigabytes;
 * - `renamed-local`: an entry whose local header names another file than its
 *   central record;
 * - `into-directory`: an entry whose sizes, local and central alike, claim
 *   its data runs on into the central directory.
 */
export function craftedZip(
  directory: string,
  kind: 'overlapping' | 'renamed-local' | 'into-directory',
  bytes = 1024 * 1024
): string {
  const file = join(directory, `${kind}.zip`)
  const script = `
import io, struct, sys, zipfile
path, kind, size = sys.argv[1], sys.argv[2], int(sys.argv[3])

def directory_of(data):
  end = data.rfind(b'PK\\x05\\x06')
  cd_size, cd_offset = struct.unpack_from('<II', data, end + 12)
  return end, cd_offset, bytes(data[cd_offset:cd_offset + cd_size])

if kind == 'overlapping':
  inner = io.BytesIO()
  with zipfile.ZipFile(inner, 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('inner.bin', b'\\0' * size)
  _, inner_offset, inner_record = directory_of(inner.getvalue())
  with zipfile.ZipFile(path, 'w', zipfile.ZIP_STORED) as z:
    z.writestr('outer.bin', inner.getvalue()[:inner_offset])
  data = bytearray(open(path, 'rb').read())
  end, cd_offset, record = directory_of(data)
  inner_record = bytearray(inner_record)
  # The inner entry's local header is the outer entry's data, right after its own header.
  struct.pack_into('<I', inner_record, 42, 30 + len('outer.bin'))
  directory = record + bytes(inner_record)
  eocd = bytearray(data[end:])
  struct.pack_into('<HHII', eocd, 8, 2, 2, len(directory), cd_offset)
  data = data[:cd_offset] + directory + eocd
else:
  with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('a.bin', b'\\0' * size)
  data = bytearray(open(path, 'rb').read())
  end, cd_offset, record = directory_of(data)
  if kind == 'renamed-local':
    data[30:35] = b'b.bin'
  else:
    grown = cd_offset - 30 - len('a.bin') + 8
    struct.pack_into('<I', data, 18, grown)
    struct.pack_into('<I', data, cd_offset + 20, grown)
open(path, 'wb').write(data)`
  execFileSync('python3', ['-c', script, file, kind, String(bytes)])
  return file
}
