"""A deliberately incompatible version of the case workflow (WF-10): a timer before anything recorded cases did.

Its own module, because the workflow sandbox re-imports the module a workflow is defined in."""

from datetime import timedelta

from temporalio import workflow

from rulebook.enums import CaseStatus
from workflows.case import CaseWorkflow
from workflows.messages import CaseInput


@workflow.defn(name="CaseWorkflow")
class CaseWorkflowThatWaitsFirst(CaseWorkflow):
    @workflow.run
    async def run(self, case: CaseInput) -> CaseStatus:
        await workflow.sleep(timedelta(seconds=1))
        return await super().run(case)
