import { Component, type ReactNode } from 'react';

/** A failure while drawing shows as a message with a reload button instead of a blank page. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state = { error: null as Error | null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="card state error" data-testid="error">
        页面出错：{this.state.error.message} <button onClick={() => location.reload()}>重新加载</button>
      </div>
    );
  }
}
