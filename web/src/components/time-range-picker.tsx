// The range picker in the header: presets, or a custom from/to. Writes `from`/`to` to the URL.
import { type FormEvent, useState } from 'react'
import { toLocalInput } from '../lib/format.ts'
import { updateParams } from '../lib/router.ts'
import { RANGE_PRESETS, useTimeRange } from '../lib/time-range.ts'

export function TimeRangePicker() {
  const range = useTimeRange()
  const [custom, setCustom] = useState(range.label === 'Custom')
  const [from, setFrom] = useState(() => (range.to ? toLocalInput(range.from) : ''))
  const [to, setTo] = useState(() => (range.to ? toLocalInput(range.to) : ''))

  const choose = (value: string) => {
    if (value === 'custom') {
      setCustom(true)
      return
    }
    setCustom(false)
    updateParams({ from: value, to: null, cursor: null })
  }
  const apply = (event: FormEvent) => {
    event.preventDefault()
    if (!from) return
    updateParams({
      from: new Date(from).toISOString(),
      to: to ? new Date(to).toISOString() : null,
      cursor: null,
    })
  }
  const selected = custom || range.label === 'Custom' ? 'custom' : range.from
  return (
    <div className="range-picker">
      <label>
        <span className="visually-hidden">Time range</span>
        <select value={selected} onChange={(e) => choose(e.target.value)} aria-label="Time range">
          {RANGE_PRESETS.map((preset) => (
            <option key={preset.from} value={preset.from}>
              {preset.label}
            </option>
          ))}
          {RANGE_PRESETS.some((p) => p.from === range.from) ? null : range.label !== 'Custom' ? (
            <option value={range.from}>{range.label}</option>
          ) : null}
          <option value="custom">Custom…</option>
        </select>
      </label>
      {selected === 'custom' ? (
        <form onSubmit={apply} className="custom-range">
          <label>
            From{' '}
            <input type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} required />
          </label>
          <label>
            To <input type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
          </label>
          <button type="submit">Apply</button>
        </form>
      ) : null}
    </div>
  )
}
