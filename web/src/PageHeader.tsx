import type { ReactNode } from 'react';

const PAGES = [
  { href: '/', label: '风险地图' },
  { href: '/pass', label: '畅行码' },
  { href: '/partner', label: '合作方核验' },
];

/** The bar on top of every page: its title, its own controls, and links to the other pages. */
export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="top">
      <h1>{title}</h1>
      {children}
      {PAGES.filter((p) => p.href !== location.pathname).map((p) => (
        <a key={p.href} href={p.href}>
          {p.label}
        </a>
      ))}
    </header>
  );
}
