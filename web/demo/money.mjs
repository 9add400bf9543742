// The demo shop's prices, one format for the product cards, the cart and the reasons the
// worker writes (renderReason's formatPrice).
export const money = (p) => (Number.isFinite(p) ? `$${p.toFixed(2)}` : '');
