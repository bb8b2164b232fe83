# Sourceable: the environment that points clients at the lab.
#   source lab/env.sh
# Paths derive from DISTILL_LAB_DIR (default ~/.cache/distill-lab).
DISTILL_LAB_DIR=${DISTILL_LAB_DIR:-$HOME/.cache/distill-lab}
DISTILL_REGISTRY=${DISTILL_REGISTRY:-127.0.0.1:5000}
BUILDKIT_HOST=${BUILDKIT_HOST:-unix://$DISTILL_LAB_DIR/run/buildkitd.sock}
BUILDX_BUILDER=${BUILDX_BUILDER:-distill-lab}
case ":$PATH:" in
*":$DISTILL_LAB_DIR/bin:"*) ;;
*) PATH="$DISTILL_LAB_DIR/bin:$PATH" ;;
esac
export DISTILL_LAB_DIR DISTILL_REGISTRY BUILDKIT_HOST BUILDX_BUILDER PATH
