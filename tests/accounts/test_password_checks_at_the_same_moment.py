"""Two password checks at the same moment (threaded gunicorn workers) judge their own inputs."""

import threading

from matcher.accounts.passwords import password_problem

# Strong for anyone, except for the account whose own details spell its first word.
PASSWORD = "qzmvrtxk lamp"
OWN = ["qzmvrtxk"]
OTHER = ["someone.else@example.com"]


def test_concurrent_checks_never_judge_with_the_other_accounts_details():
    assert password_problem(PASSWORD, OWN) is not None
    assert password_problem(PASSWORD, OTHER) is None
    wrong = []

    def check(inputs, refused: bool):
        for _ in range(150):
            if (password_problem(PASSWORD, inputs) is not None) != refused:
                wrong.append(inputs)

    threads = [
        threading.Thread(target=check, args=(OWN, True)),
        threading.Thread(target=check, args=(OTHER, False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
