"""The probe, in probe order: sign in, read, and judge each assumption against what came back.

It speaks through the console's own CmsClient (same settings, same app login, same transport rules) but
judges the raw answers the recording transport kept, so a refusal by the client is itself a finding and
the probe can still go on. It reads only; writes go out only with `allow_writes`, and then only to made-up
ids, so nothing is created or changed.
"""

from __future__ import annotations

import time

from webapp.cms.probe.model import ProbeResult
from webapp.cms.probe.read_steps import ReadSteps
from webapp.cms.probe.sign_in_steps import SignInSteps
from webapp.cms.probe.write_steps import WriteSteps


class Probe(SignInSteps, ReadSteps, WriteSteps):
    def run(self) -> ProbeResult:
        self.meta.update(
            {
                "baseUrl": self.client.upstream.base_url,
                "contractVersion": self.contract.version,
                "startedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "appLogin": "unknown",
                "allowWrites": self.options.allow_writes,
            }
        )
        signed_in = self._sign_in()
        self._reads(signed_in)
        self._writes(signed_in)
        self._probes_of_errors()
        self._envelope_and_codes()
        return ProbeResult(self.findings, self.calls, self.meta, self.problem)
