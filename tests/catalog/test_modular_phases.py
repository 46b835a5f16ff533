from catalog.modular import PHASES, training_phases


def trajectory(train_acc, test_acc, test_loss):
    measures = [{"train accuracy": a, "test accuracy": b, "test loss": c}
                for a, b, c in zip(train_acc, test_acc, test_loss)]
    return {"steps": [100 * k for k in range(len(measures))], "measures": measures}


def test_phases_follow_memorisation_test_loss_and_grokking():
    run = trajectory(train_acc=[0.5, 1, 1, 1, 1, 1, 1, 1],
                     test_acc=[0.0, 0.0, 0.0, 0.0, 0.3, 0.8, 1.0, 1.0],
                     test_loss=[4.0, 5.0, 6.0, 5.0, 2.5, 1.0, 0.1, 0.05])
    # memorised at step 100, test loss below 6 / 2 first at step 400, grokked at step 600
    assert training_phases(run) == [0, 0, 1, 1, 2, 2, 2]
    assert len(PHASES) == 3


def test_no_phases_without_grokking():
    assert training_phases(trajectory([1, 1], [0.0, 0.1], [4.0, 4.0])) is None


def test_cleanup_starts_after_the_test_loss_peak():
    # the test loss dips below half the final peak before it (step 200) and rises to it at step 300
    run = trajectory(train_acc=[0.5, 1, 1, 1, 1, 1, 1],
                     test_acc=[0.0, 0.0, 0.0, 0.0, 0.5, 1.0, 1.0],
                     test_loss=[4.0, 5.0, 2.0, 8.0, 3.0, 0.1, 0.05])
    assert training_phases(run) == [0, 0, 1, 1, 2, 2]
