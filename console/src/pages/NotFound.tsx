import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <>
      <h1>Not found</h1>
      <p>
        There is no console page here. <Link to="/">Back to the start</Link>
      </p>
    </>
  );
}
