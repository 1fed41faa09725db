/**
 * Step summaries as a terminal shows them: the HTML the actions write to
 * GITHUB_STEP_SUMMARY (headings, two-column tables, links and code, with
 * character references) turned into plain text. Tables become aligned
 * columns, a link keeps its address after its text, and any other tag is
 * dropped with its text kept.
 */

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' }

/** Text with its character references (`&#39;`, `&#x27;`, `&amp;`) decoded. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] !== '#') return NAMED[name.toLowerCase()] ?? whole
    const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10)
    return Number.isInteger(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole
  })
}

/** A tag's attribute, decoded; undefined when the tag lacks it. */
function attribute(attributes: string, name: string): string | undefined {
  const match = new RegExp(`\\b${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(attributes)
  return match ? decodeEntities(match[2] ?? match[3] ?? match[4] ?? '') : undefined
}

/** Rows of cells as columns, each as wide as its widest cell; a cell's extra lines stay in its column. */
function formatTable(rows: readonly string[][], indent: string): string[] {
  const columns = Math.max(0, ...rows.map((row) => row.length))
  const widths = Array.from({ length: columns }, (_, column) =>
    Math.max(0, ...rows.map((row) => Math.max(...(row[column] ?? '').split('\n').map((line) => [...line].length))))
  )
  const lines: string[] = []
  for (const row of rows) {
    const cells = row.map((cell) => cell.split('\n'))
    const height = Math.max(1, ...cells.map((cell) => cell.length))
    for (let index = 0; index < height; index += 1) {
      const parts = cells.map((cell, column) => {
        const text = cell[index] ?? ''
        return column === cells.length - 1 ? text : text + ' '.repeat(widths[column]! - [...text].length)
      })
      lines.push(`${indent}${parts.join('  ')}`.trimEnd())
    }
  }
  return lines
}

/** The summary's HTML as plain text, one block after another. */
export function htmlToText(html: string): string {
  const blocks: string[] = []
  let text = ''
  let table: string[][] | undefined
  let cell: string | undefined
  const links: (string | undefined)[] = []
  const append = (value: string): void => {
    if (cell !== undefined) cell += value
    else text += value
  }
  const flush = (): void => {
    const trimmed = text.replace(/[ \t]+\n/g, '\n').trim()
    if (trimmed !== '') blocks.push(trimmed)
    text = ''
  }

  for (const [, closing, tag, attributes, content] of html.matchAll(/<(\/?)([a-z][a-z0-9]*)([^>]*)>|([^<]+|<)/gi)) {
    if (content !== undefined) {
      // Between a table's cells there is only layout. Elsewhere, source line breaks are
      // layout too: a value's own breaks arrive as &#10;.
      if (table && cell === undefined) continue
      append(decodeEntities(content.replace(/\s*\n\s*/g, ' ')))
      continue
    }
    const name = tag!.toLowerCase()
    if (/^h[1-6]$/.test(name)) {
      if (!closing) flush()
      else {
        const heading = text.trim()
        text = ''
        if (heading !== '') blocks.push(`${heading}\n${'─'.repeat([...heading].length)}`)
      }
    } else if (name === 'table') {
      if (!closing) {
        flush()
        table = []
      } else if (table) {
        blocks.push(formatTable(table, '  ').join('\n'))
        table = undefined
      }
    } else if (name === 'tr' && table) {
      if (!closing) table.push([])
    } else if ((name === 'td' || name === 'th') && table) {
      if (!closing) cell = ''
      else if (cell !== undefined) {
        ;(table.at(-1) ?? table[table.push([]) - 1]!).push(cell.trim())
        cell = undefined
      }
    } else if (name === 'a') {
      if (!closing) links.push(attribute(attributes!, 'href'))
      else {
        const href = links.pop()
        const shown = cell ?? text
        if (href && !shown.endsWith(href)) append(` <${href}>`)
      }
    } else if (name === 'br') {
      append('\n')
    } else if (name === 'p' || name === 'div' || name === 'ul' || name === 'ol' || name === 'pre') {
      if (cell === undefined) flush()
    } else if (name === 'li' && !closing) {
      if (cell === undefined) text += `\n- `
    }
    // code, strong, em and anything else: the text stays, the tag goes.
  }
  flush()
  return blocks.join('\n\n')
}
