/** The step summary's table, shared by both actions so that they look and escape alike. */
import * as core from '@actions/core'

/** A heading and a two-column table of HTML values; rows without a value are left out. */
export async function writeSummaryTable(heading: string, rows: readonly [string, string | undefined][]): Promise<void> {
  const table = rows
    .filter((row): row is [string, string] => row[1] !== undefined && row[1] !== '')
    .map(([name, value]) => `<tr><th align="left">${name}</th><td>${value}</td></tr>`)
    .join('')
  await core.summary.addHeading(heading, 3).addRaw(`<table>${table}</table>`, true).write()
}

/**
 * Text escaped for the HTML of a step summary. Line breaks become character
 * references too: the table is one HTML block, and a blank line from a value
 * would end it, so that markdown after it (headings, images, links) renders.
 */
export function escape(text: string | undefined): string | undefined {
  return text?.replace(/[&<>"'\r\n]/g, (char) => `&#${char.charCodeAt(0)};`)
}

/** Text shown as code, escaped. */
export function code(text: string | undefined): string | undefined {
  return text === undefined ? undefined : `<code>${escape(text)}</code>`
}

/** A link to a web page, its address escaped; undefined without content. */
export function link(content: string | undefined, url: string): string | undefined {
  return content === undefined ? undefined : `<a href="${escape(url)}">${content}</a>`
}
