// The page's only style sheet (inline: the file fetches nothing).

export const PAGE_STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 16px 24px; color: #222; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 20px 0 8px; }
h3 { font-size: 14px; margin: 0 0 6px; }
.range { margin: 0; color: #444; }
.notes { margin: 4px 0 8px; padding-left: 18px; color: #444; }
.warn { color: #b45309; }
.muted { color: #777; font-weight: normal; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; margin: 6px 0; }
.key i { display: inline-block; width: 14px; height: 10px; margin-right: 4px; vertical-align: middle; border: 1px solid #999; }
.key i.silent { background: repeating-linear-gradient(45deg, #d33 0 3px, #fff 3px 6px); }
.key i.aged { background: repeating-linear-gradient(45deg, #ccc 0 4px, #eee 4px 8px); }
svg.timeline { display: block; font-size: 12px; }
svg .section { font-weight: 600; font-size: 13px; fill: #222; }
svg .lane-label { text-anchor: end; fill: #333; font-family: ui-monospace, monospace; }
svg .lane-bg { fill: #f6f7f9; }
svg .grid { stroke: #e3e5e8; }
svg .tick { text-anchor: middle; fill: #666; font-size: 11px; }
svg .bar-label { fill: #fff; font-size: 11px; pointer-events: none; }
svg .silent .bar-label { fill: #900; font-weight: 600; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
svg .bar-label.muted { fill: #666; }
svg .mark { stroke: #222; stroke-width: 1.2; fill: #fff; }
svg .mark-allocation, svg .mark-config { fill: #7c3aed; }
svg .mark-bgp { fill: #0891b2; }
svg .mark-verdict { fill: #f59e0b; }
svg .mark-release, svg .mark-left, svg .mark-restarting { fill: #9aa0a6; }
svg .mark-conflict, svg .mark-refused, svg .mark-stale-claim, svg .mark-invalid { fill: #e11d48; }
svg g:hover > .mark, svg g.owner:hover rect, svg g.member:hover rect { stroke: #000; stroke-width: 2; }
.failover { border: 1px solid #ddd; border-left: 4px solid #e15759; border-radius: 4px; padding: 8px 12px; margin: 8px 0; max-width: 1140px; }
.failover th { text-align: left; font-weight: 500; color: #555; padding: 1px 14px 1px 0; white-space: nowrap; vertical-align: top; }
.reason { background: #fde68a; border-radius: 3px; padding: 0 5px; font-weight: 500; }
table.list { border-collapse: collapse; font-size: 12px; }
table.list th, table.list td { border-bottom: 1px solid #eee; padding: 2px 10px 2px 0; text-align: left; vertical-align: top; }
summary { cursor: pointer; font-weight: 600; }
svg.strip { display: block; margin-top: 6px; font-size: 12px; }
svg .moment line { stroke: #333; stroke-dasharray: 3 2; }
svg .moment text { fill: #333; font-size: 11px; }
`;
