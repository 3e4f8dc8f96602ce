# SPDX-License-Identifier: MIT
"""pytest plugin: one TAP line per test, for tools/run-tests.

    ok N file::test            passed (or xfailed)
    not ok N file::test        failed in setup, call or teardown, or xpassed strictly
    ok N file::test # SKIP why skipped
Collection errors are "not ok" lines too.  Loaded with -p tieralloc_tap.
"""
import pytest


class TapReporter:
    def __init__(self, config):
        self.config = config
        self.n = 0
        self.state = {}

    def _emit(self, line):
        tr = self.config.pluginmanager.getplugin("terminalreporter")
        if tr is not None:
            # Progress dots may be pending on the current line: TAP lines
            # must start a line of their own.
            tw = getattr(tr, "_tw", None)
            if tw is not None and getattr(tw, "width_of_current_line", 1):
                tr.write("\n")
            tr.write(line + "\n", flush=True)
        else:
            print(line, flush=True)

    def _name(self, nodeid):
        return nodeid.split("/")[-1].replace(" ", "_")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_report_teststatus(self, report, config):
        # No progress letters ('.', 's', 'F'): the TAP lines are the progress.
        outcome = yield
        res = outcome.get_result()
        if isinstance(res, tuple) and len(res) == 3 and isinstance(res[1], str):
            outcome.force_result((res[0], "", res[2]))

    def pytest_collectreport(self, report):
        if report.failed:
            self.n += 1
            self._emit("not ok %d %s # collection error" % (self.n, self._name(report.nodeid)))

    def pytest_runtest_logreport(self, report):
        st = self.state.setdefault(report.nodeid, {"failed": None, "skip": None})
        if report.failed and st["failed"] is None:
            st["failed"] = report.when
        elif report.skipped and st["skip"] is None:
            if hasattr(report, "wasxfail"):
                st["skip"] = ""
            else:
                lr = report.longrepr
                why = lr[2] if isinstance(lr, tuple) and len(lr) == 3 else str(lr)
                st["skip"] = why.replace("Skipped: ", "", 1).replace("\n", " ")

    def pytest_runtest_logfinish(self, nodeid, location):
        st = self.state.pop(nodeid, {"failed": None, "skip": None})
        self.n += 1
        name = self._name(nodeid)
        if st["failed"]:
            self._emit("not ok %d %s # failed in %s" % (self.n, name, st["failed"]))
        elif st["skip"]:
            self._emit("ok %d %s # SKIP %s" % (self.n, name, st["skip"]))
        else:
            self._emit("ok %d %s" % (self.n, name))


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    config.pluginmanager.register(TapReporter(config), "tieralloc-tap-reporter")
