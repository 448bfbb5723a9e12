"""Real data sets from scikit-learn's bundled copies (no download; needs the ``lab`` extra).

scikit-learn is imported only when one of these functions is called.
"""

from __future__ import annotations

import numpy as np

from nnscratch.datasets._base import Dataset

__all__ = ["iris", "wine", "breast_cancer", "digits", "diabetes"]

SOURCE = "scikit-learn bundled copy"


def _sklearn_datasets():
    try:
        from sklearn import datasets
    except ImportError:
        raise ImportError(
            "this data set is read from scikit-learn's bundled copy; install it with "
            "pip install \"nnscratch[lab]\" (or pip install scikit-learn)"
        ) from None
    return datasets


def _classification(name: str, bunch, description: str, image_shape=None) -> Dataset:
    return Dataset(
        np.asarray(bunch.data, dtype=np.float32),
        np.asarray(bunch.target, dtype=np.intp),
        "classification",
        name=name,
        feature_names=[str(f) for f in bunch.feature_names],
        target_names=[str(t) for t in bunch.target_names],
        target="class",
        description=description,
        source=SOURCE,
        image_shape=image_shape,
    )


def iris() -> Dataset:
    """Fisher's iris: 150 flowers, 4 measurements (cm), 3 species.

    >>> iris().x.shape
    (150, 4)
    """
    return _classification("iris", _sklearn_datasets().load_iris(), "Fisher's iris flowers: 3 species")


def wine() -> Dataset:
    """178 Italian wines, 13 chemical measurements, 3 cultivars.

    >>> wine().x.shape
    (178, 13)
    """
    return _classification("wine", _sklearn_datasets().load_wine(), "wines from 3 cultivars")


def breast_cancer() -> Dataset:
    """Wisconsin diagnostic breast cancer: 569 tumours, 30 features, malignant or benign.

    >>> breast_cancer().x.shape
    (569, 30)
    """
    return _classification(
        "breast_cancer", _sklearn_datasets().load_breast_cancer(), "breast tumours: malignant or benign"
    )


def digits() -> Dataset:
    """1,797 handwritten digits as 8×8 images of grey levels 0–16 (64 features), classes 0–9.

    >>> digits().x.shape
    (1797, 64)
    """
    bunch = _sklearn_datasets().load_digits()
    bunch.feature_names = [f"pixel_{r}_{c}" for r in range(8) for c in range(8)]
    return _classification("digits", bunch, "8×8 handwritten digits 0–9 (UCI optical digits)", (8, 8))


def diabetes() -> Dataset:
    """442 diabetes patients, 10 baseline variables, disease progression after one year (回帰).

    >>> data = diabetes()
    >>> data.x.shape, data.task
    ((442, 10), 'regression')
    """
    bunch = _sklearn_datasets().load_diabetes(scaled=False)
    return Dataset(
        np.asarray(bunch.data, dtype=np.float32),
        np.asarray(bunch.target, dtype=np.float32),
        "regression",
        name="diabetes",
        feature_names=[str(f) for f in bunch.feature_names],
        target="progression",
        description="diabetes progression one year after baseline (regression)",
        source=SOURCE,
    )
