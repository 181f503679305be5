"""How this library keeps what it must not lose.

Keys, buckets, log groups, the Studio domain, the GuardDuty detector and the other stateful
resources are kept when their stack is deleted or a change replaces them, but not when the
stack's *first* create fails: CloudFormation's ``RetainExceptOnCreate`` deletes what a failed
first deploy created, so the retry finds nothing in its way (a retained detector or fixed-name
log group would make it fail).
"""

import aws_cdk as cdk

#: The removal policy of every stateful resource this library creates.
RETAINED = cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
