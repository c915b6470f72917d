import type { ReactNode } from 'react';
import { Pager } from './Form';

interface ListTableProps {
  caption: string;
  /** Column headings; an empty string is an actions column (named for screen readers only). */
  columns: string[];
  /** The rows of this page, or an empty array. */
  rows: ReactNode[];
  empty: ReactNode;
  className?: string;
  paging?: { offset: number; limit: number; total: number; onChange: (offset: number) => void };
}

/** One page of a list the API answers as `{ items, totalCount }`: the table, its empty state and the pager. */
export function ListTable({ caption, columns, rows, empty, className, paging }: ListTableProps) {
  return (
    <>
      <div className="table-wrap">
        <table className={className}>
          <caption className="sr-only">{caption}</caption>
          <thead>
            <tr>
              {columns.map((column, i) => (
                <th scope="col" key={i}>
                  {column || <span className="sr-only">Actions</span>}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows}
            {rows.length === 0 && (
              <tr>
                <td colSpan={columns.length} className="muted">
                  {empty}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {paging && <Pager {...paging} />}
    </>
  );
}
