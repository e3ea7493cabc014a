/** Image results: the picture with every detection's box drawn over it, and the boxes as a list. */
import { useState } from 'react';
import { formatPercent } from '../lib/format';
import type { Box } from './extract';
import { ScrollTable } from '../components/ScrollTable';

export function ImageView({
  src,
  fileName,
  boxes,
}: {
  readonly src: string;
  readonly fileName: string;
  readonly boxes: readonly Box[];
}) {
  const [size, setSize] = useState<{ width: number; height: number } | undefined>();
  return (
    <section className="card" aria-labelledby="image-heading">
      <h2 id="image-heading">Image</h2>
      <figure className="media-figure">
        <img
          src={src}
          alt={`${fileName}${boxes.length > 0 ? `, with ${boxes.length} detection${boxes.length === 1 ? '' : 's'} outlined` : ''}`}
          onLoad={(e) =>
            setSize({ width: e.currentTarget.naturalWidth, height: e.currentTarget.naturalHeight })
          }
        />
        {size && boxes.length > 0 && (
          <svg viewBox={`0 0 ${size.width} ${size.height}`} preserveAspectRatio="none" aria-hidden="true">
            {boxes.map((b, i) => {
              // Boxes measured on another raster (OCR reads a scaled copy) are scaled to the image.
              const sx = b.space ? size.width / b.space.width : 1;
              const sy = b.space ? size.height / b.space.height : 1;
              return (
                <g key={i}>
                  <rect x={b.x * sx} y={b.y * sy} width={b.width * sx} height={b.height * sy} />
                  <text x={b.x * sx + 4} y={Math.max(16, b.y * sy - 4)}>
                    {b.label}
                  </text>
                </g>
              );
            })}
          </svg>
        )}
      </figure>
      {boxes.length > 0 ? (
        <ScrollTable label="Detections">
          <table>
            <caption>Detections</caption>
            <thead>
              <tr>
                <th scope="col">Found by</th>
                <th scope="col">Label</th>
                <th scope="col" className="num">
                  Score
                </th>
                <th scope="col">Box (x, y, width × height)</th>
              </tr>
            </thead>
            <tbody>
              {boxes.map((b, i) => (
                <tr key={i}>
                  <td>{b.step}</td>
                  <td>{b.label}</td>
                  <td className="num">{formatPercent(b.score)}</td>
                  <td className="mono">
                    {Math.round(b.x)}, {Math.round(b.y)}, {Math.round(b.width)} × {Math.round(b.height)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      ) : (
        <p className="muted">No objects with a position were detected.</p>
      )}
    </section>
  );
}
