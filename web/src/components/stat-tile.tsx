export function StatTile(props: {
  label: string
  value: string
  hint?: string
  tone?: 'ok' | 'warn' | 'bad'
  id?: string
}) {
  return (
    <div className={`tile ${props.tone ? `tile-${props.tone}` : ''}`} data-tile={props.id}>
      <div className="tile-label">{props.label}</div>
      <div className="tile-value">{props.value}</div>
      {props.hint ? <div className="tile-hint">{props.hint}</div> : null}
    </div>
  )
}
