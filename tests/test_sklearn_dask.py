"""The scikit-learn estimators in GridSearchCV on a Dask cluster, through joblib's Dask backend: the
fits run as tasks on the cluster's workers and give the scores of the same search run here."""

from __future__ import annotations

import numpy as np
from tests.needs import need_module


def test_grid_search_cv_on_a_dask_local_cluster_matches_the_search_in_this_process():
    need_module("sklearn")
    distributed = need_module("distributed")
    from joblib import parallel_backend
    from sklearn.model_selection import GridSearchCV

    from nnscratch import datasets
    from nnscratch.sklearn import NNClassifier

    data = datasets.load("iris")
    x, y = data.x, data.y
    grid = {"lr": [0.003, 0.03], "hidden_layer_sizes": [(4,), (8,)]}

    def search(n_jobs):
        model = NNClassifier(max_iter=8, batch_size=16, random_state=0)
        return GridSearchCV(model, grid, cv=3, n_jobs=n_jobs).fit(x, y)

    here = search(None)
    # worker threads in this process: the same scheduler, workers and joblib backend, without two more
    # interpreters to start (the process path of Dask is tested in test_sweep)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0",
                                  silence_logs=40) as cluster, distributed.Client(cluster):
        with parallel_backend("dask"):
            remote = search(-1)
        executed = [w.state.executed_count for w in cluster.workers.values()]
    assert sum(executed) > 0  # the fits ran as tasks of the cluster (joblib batches them: any count)
    np.testing.assert_array_equal(remote.cv_results_["mean_test_score"], here.cv_results_["mean_test_score"])
    assert remote.best_params_ == here.best_params_
    assert remote.best_estimator_.score(x, y) == here.best_estimator_.score(x, y)
