"""``nnscratch gradcheck``: back-propagation against the numerical gradient (勾配確認), in float64."""

from __future__ import annotations

import argparse

from nnscratch.cli import _parser as P
from nnscratch.cli._run_options import add_day2_options


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``gradcheck`` to the CLI's sub-commands."""
    p = subparsers.add_parser(
        "gradcheck",
        help="compare back-propagation with the numerical gradient",
        description="Gradient check (勾配確認): the back-propagated gradient of every parameter against a "
        "central-difference numerical gradient, in float64, on random data. Exit status 0 when all agree. "
        "With --batchnorm the batch's statistics are differentiated too, with --dropout one mask is held for "
        "every difference, with --l1/--l2 the penalty is in the loss.",
    )
    p.add_argument("--layers", default="2-3-3-1", metavar="SIZES", help="layer sizes (default 2-3-3-1)")
    p.add_argument("--hidden", default="relu", choices=P.activation_names(),
                   help="hidden activation (default relu; 'step' shows why it cannot be trained)")
    p.add_argument("--output", default="identity", choices=P.output_names(),
                   help="output activation; its loss is paired automatically (default identity)")
    add_day2_options(p)  # --batchnorm, --dropout P, --l1 λ, --l2 λ: checked with the penalty, mask held
    p.add_argument("--samples", type=P.positive_int, default=4, help="random samples (default 4)")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and data (default 0)")
    p.add_argument("--tol", type=P.positive_float, default=1e-6,
                   help="largest accepted relative error (1e-6)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Print the relative error of every parameter; exit status 1 when one exceeds ``--tol``."""
    import numpy as np

    from nnscratch.gradcheck import gradcheck
    from nnscratch.network import Network

    net = Network(args.layers, hidden=args.hidden, output=args.output, seed=args.seed, dtype="float64",
                  batchnorm=args.batchnorm, dropout=args.dropout, l1=args.l1, l2=args.l2)
    rng = np.random.default_rng(args.seed + 1)
    # biases start at 0; a sample whose inputs to a layer are all 0 (dead ReLUs) would then sit exactly on
    # the ReLU kink at u = 0, where the numerical gradient averages both slopes. Random biases avoid that.
    for key, p in net.params.items():
        if key.startswith("b"):
            p[...] = 0.1 * rng.standard_normal(p.shape)
    n_in, n_out = net.sizes[0], net.sizes[-1]
    x = rng.standard_normal((args.samples, n_in))
    if args.output == "softmax":
        d = rng.integers(0, n_out, args.samples)
    elif args.output == "sigmoid":
        d = rng.integers(0, 2, (args.samples, n_out)).astype(np.float64)
    else:
        d = rng.standard_normal((args.samples, n_out))
    errors = gradcheck(net, x, d)
    print(f"{net!r}, {args.samples} random samples, seed {args.seed}")
    print(f"{'param':<6} {'shape':>9}  {'relative error':>14}")
    worst = 0.0
    for key, err in errors.items():
        shape = "×".join(map(str, net.params[key].shape))
        worst = max(worst, err)
        print(f"{key:<6} {shape:>9}  {err:>14.3e}  {'ok' if err <= args.tol else 'FAIL'}")
    if worst <= args.tol:
        print(f"all {len(errors)} gradients agree: max relative error {worst:.2e} ≤ {args.tol:g}")
        return P.EXIT_OK
    print(f"gradient check FAILED: max relative error {worst:.2e} > {args.tol:g}")
    return P.EXIT_FAIL
