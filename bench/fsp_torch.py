"""PyTorch CPU on bench:fsp's shapes: what a user writes instead of fspd, timed the same way (median after
warm-up). Called by bench/fsp.ts; prints one JSON object.

    python3 bench/fsp_torch.py '{"threads": 2, "runs": 15, "shapes": [[128, 16, 16, 32, 32]], "layouts": ["NCHW"]}'

forward: G = bmm(X, Yᵀ)/hw from the maps as they lie (NCHW: X is [B, C1, hw]; NHWC: [B, hw, C1], transposed view).
loss+grad: ‖G − T‖² summed, over B (the 'paper' reduction), backward to both maps (fresh .grad each step).
"""
import json
import sys
import time

try:
    import torch
except ImportError as err:  # bench/fsp.ts reports the reason in its torch column
    print(json.dumps({"error": f"torch does not import ({err}); pip install torch"}))
    sys.exit(0)


def median_ms(fn, runs):
    for _ in range(2):
        fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1e3)
    samples.sort()
    return samples[len(samples) // 2]


def gram(x, y, layout, b, hw):
    if layout == "NCHW":
        return torch.bmm(x.reshape(b, -1, hw), y.reshape(b, -1, hw).transpose(1, 2)) / hw
    return torch.bmm(x.reshape(b, hw, -1).transpose(1, 2), y.reshape(b, hw, -1)) / hw


def main():
    spec = json.loads(sys.argv[1])
    torch.set_num_threads(spec["threads"])
    torch.manual_seed(0)
    rows = []
    for b, c1, c2, h, w in spec["shapes"]:
        hw = h * w
        for layout in spec["layouts"]:
            dims = lambda c: (b, c, h, w) if layout == "NCHW" else (b, h, w, c)  # noqa: E731
            x = torch.rand(dims(c1)) * 2 - 1
            y = torch.rand(dims(c2)) * 2 - 1
            t = torch.rand(b, c1, c2) * 2 - 1

            def forward():
                with torch.no_grad():
                    gram(x, y, layout, b, hw)

            xg, yg = x.clone().requires_grad_(), y.clone().requires_grad_()

            def loss_grad():
                xg.grad = yg.grad = None
                loss = (gram(xg, yg, layout, b, hw) - t).pow(2).sum() / b
                loss.backward()

            rows.append({
                "shape": [b, c1, c2, h, w], "layout": layout,
                "forward_ms": median_ms(forward, spec["runs"]), "loss_grad_ms": median_ms(loss_grad, spec["runs"]),
            })
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "rows": rows}))


if __name__ == "__main__":
    main()
