// Cold-start probe: what loading @actions/core costs on its own.
import * as core from '@actions/core'

core.getInput('job-id')
