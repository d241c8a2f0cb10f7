// Layout and SVG drawing of a cluster's linkage graph (the `graph` of GET /v1/clusters/{id}).

const SVG_NS = "http://www.w3.org/2000/svg";

// Node types in drawing order: the ring each starts on, from the centre outwards.
export const NODE_TYPES = ["Identifier", "Customer", "Policy", "Agent"];
const START_RING = { Identifier: 0.15, Customer: 0.45, Policy: 0.75, Agent: 1.0 };
const LAYOUT_ITERATIONS = 300;
// Pixels between two edges that join the same pair of nodes (a customer who is policyholder and insured).
const PARALLEL_EDGE_GAP = 28;
// Pixels kept free at the sides for labels, and how much more one axis may be scaled than the other.
const MARGIN = 70;
const MAX_STRETCH = 2;
// Pixels between the lines of a node's label.
const LINE_HEIGHT = 14;

/**
 * Place the nodes with a Fruchterman–Reingold force-directed layout that uses no randomness.
 *
 * Nodes start on concentric rings by type (shared identifiers in the middle, agents outside), sorted by
 * type and id, so the same graph is drawn the same way on every load and in every browser. Returns a
 * Map from node id to {x, y} inside a width × height box with MARGIN pixels left for labels.
 */
export function layoutGraph(nodes, edges, width, height) {
  const ordered = [...nodes].sort((a, b) => {
    const byType = NODE_TYPES.indexOf(a.type) - NODE_TYPES.indexOf(b.type);
    if (byType !== 0) {
      return byType;
    }
    return a.id < b.id ? -1 : Number(a.id > b.id);
  });
  const count = ordered.length;
  const positions = new Map();
  if (count === 0) {
    return positions;
  }

  // 1. Start positions on rings by type.
  const radius = Math.min(width, height) / 2;
  const byType = new Map(NODE_TYPES.map((type) => [type, ordered.filter((node) => node.type === type)]));
  const points = ordered.map((node) => {
    const sameType = byType.get(node.type) ?? [node];
    const index = sameType.indexOf(node);
    const ring = (START_RING[node.type] ?? 1.0) * radius;
    // Each type's ring is turned a little, so that nodes of neighbouring rings do not start in a line.
    const angle = (2 * Math.PI * index) / sameType.length + NODE_TYPES.indexOf(node.type) * 0.4;
    return { x: ring * Math.cos(angle), y: ring * Math.sin(angle), dx: 0, dy: 0 };
  });
  // Each linked pair attracts once, so a customer who is policyholder and insured is not pulled twice as close.
  const indexOf = new Map(ordered.map((node, index) => [node.id, index]));
  const pairs = new Map();
  for (const edge of edges) {
    const [source, target] = [indexOf.get(edge.source), indexOf.get(edge.target)];
    if (source !== undefined && target !== undefined && source !== target) {
      pairs.set(`${Math.min(source, target)} ${Math.max(source, target)}`, [source, target]);
    }
  }
  const links = [...pairs.values()];

  // 2. Repulsion between every pair, attraction along edges and a weak pull to the centre; the step cools
  // linearly. The pull is stronger along the box's shorter side, so the layout takes the box's shape.
  const ideal = Math.sqrt((width * height) / count) * 0.6;
  const pullX = 0.02 * Math.sqrt(height / width);
  const pullY = 0.02 * Math.sqrt(width / height);
  for (let iteration = 0; iteration < LAYOUT_ITERATIONS; iteration += 1) {
    for (const point of points) {
      point.dx = -point.x * pullX;
      point.dy = -point.y * pullY;
    }
    for (let i = 0; i < count; i += 1) {
      for (let j = i + 1; j < count; j += 1) {
        let dx = points[i].x - points[j].x;
        let dy = points[i].y - points[j].y;
        let distance = Math.hypot(dx, dy);
        if (distance < 0.01) {
          // Coincident nodes are pushed apart along a direction fixed by their indices.
          dx = Math.cos(i + j);
          dy = Math.sin(i + j);
          distance = 1;
        }
        const force = (ideal * ideal) / distance;
        points[i].dx += (dx / distance) * force;
        points[i].dy += (dy / distance) * force;
        points[j].dx -= (dx / distance) * force;
        points[j].dy -= (dy / distance) * force;
      }
    }
    for (const [source, target] of links) {
      const dx = points[source].x - points[target].x;
      const dy = points[source].y - points[target].y;
      const distance = Math.max(Math.hypot(dx, dy), 0.01);
      const force = (distance * distance) / ideal;
      points[source].dx -= (dx / distance) * force;
      points[source].dy -= (dy / distance) * force;
      points[target].dx += (dx / distance) * force;
      points[target].dy += (dy / distance) * force;
    }
    const step = (radius / 5) * (1 - iteration / LAYOUT_ITERATIONS) + 0.5;
    for (const point of points) {
      const length = Math.max(Math.hypot(point.dx, point.dy), 0.01);
      point.x += (point.dx / length) * Math.min(length, step);
      point.y += (point.dy / length) * Math.min(length, step);
    }
  }

  // 3. Scale into the box, centred. One axis may stretch up to MAX_STRETCH times the other, so that a
  // roughly round layout fills a wide box without distorting it much.
  const xs = points.map((point) => point.x);
  const ys = points.map((point) => point.y);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const fitX = (width - 2 * MARGIN) / Math.max(maxX - minX, 1);
  const fitY = (height - 2 * MARGIN) / Math.max(maxY - minY, 1);
  const uniform = Math.min(fitX, fitY);
  const scaleX = Math.min(fitX, uniform * MAX_STRETCH);
  const scaleY = Math.min(fitY, uniform * MAX_STRETCH);
  const offsetX = (width - (maxX - minX) * scaleX) / 2;
  const offsetY = (height - (maxY - minY) * scaleY) / 2;
  ordered.forEach((node, index) => {
    positions.set(node.id, {
      x: offsetX + (points[index].x - minX) * scaleX,
      y: offsetY + (points[index].y - minY) * scaleY,
    });
  });
  return positions;
}

function svgElement(name, attributes = {}, textContent = null) {
  const element = document.createElementNS(SVG_NS, name);
  for (const [attribute, value] of Object.entries(attributes)) {
    element.setAttribute(attribute, String(value));
  }
  if (textContent !== null) {
    element.textContent = textContent;
  }
  return element;
}

/** Return the SVG shape of a node type: circle, diamond, square or triangle, centred on 0,0. */
export function nodeShape(type, size = 13) {
  switch (type) {
    case "Identifier":
      return svgElement("polygon", { points: `0,${-size - 2} ${size + 2},0 0,${size + 2} ${-size - 2},0` });
    case "Policy":
      return svgElement("rect", { x: -size, y: -size * 0.8, width: size * 2, height: size * 1.6, rx: 2 });
    case "Agent":
      return svgElement("polygon", { points: `0,${-size - 2} ${size + 2},${size} ${-size - 2},${size}` });
    default:
      return svgElement("circle", { r: size });
  }
}

/** Return a small SVG with the shape of a node type, for the legend. */
export function legendSwatch(type) {
  const svg = svgElement("svg", { width: 22, height: 22, viewBox: "-12 -12 24 24", "aria-hidden": "true" });
  const group = svgElement("g", { class: `node-${type.toLowerCase()}` });
  group.append(nodeShape(type, 8));
  svg.append(group);
  return svg;
}

// Candidate positions of a node's label, in the order tried on a tie: the direction (radians, y pointing
// down), the text offset and anchor, and a penalty for the wide left and right positions.
const LABEL_SIDES = [
  { angle: Math.PI / 2, x: 0, y: "below", anchor: "middle", penalty: 0 },
  { angle: -Math.PI / 2, x: 0, y: "above", anchor: "middle", penalty: 0 },
  { angle: 0, x: 20, y: "middle", anchor: "start", penalty: 0.15 },
  { angle: Math.PI, x: -20, y: "middle", anchor: "end", penalty: 0.15 },
];

/** Return the estimated width in pixels of a 12-pixel label: CJK characters are about twice as wide. */
function textWidth(line) {
  let width = 0;
  for (const character of line) {
    width += character.codePointAt(0) >= 0x2e80 ? 12 : 7;
  }
  return width;
}

/** Return the box of a node's label at a side, relative to the node: [left, top, right, bottom]. */
function labelBox(side, lines) {
  const width = Math.max(0, ...lines.map(textWidth));
  const height = lines.length * LINE_HEIGHT;
  let left = -width / 2;
  if (side.anchor === "start") {
    left = side.x;
  } else if (side.anchor === "end") {
    left = side.x - width;
  }
  let top = -height / 2;
  if (side.y === "above") {
    top = -22 - height;
  } else if (side.y === "below") {
    top = 18;
  }
  return [left, top, left + width, top + height];
}

/** Return how many of the lines from `position` to `others` cross `box` (relative to `position`). */
function crossings(box, position, others) {
  const [left, top, right, bottom] = box;
  let count = 0;
  for (const other of others) {
    // Sampling the segment is enough for boxes a few lines high.
    for (let step = 1; step <= 24; step += 1) {
      const x = ((other.x - position.x) * step) / 24;
      const y = ((other.y - position.y) * step) / 24;
      if (x >= left && x <= right && y >= top && y <= bottom) {
        count += 1;
        break;
      }
    }
  }
  return count;
}

/**
 * Return the side for a node's label. Sides inside the drawing come first, then those crossing fewer
 * edges. Among equals, the side furthest from the directions of the node's edges wins.
 */
function labelSide(position, lines, neighbourIds, positions, width, height) {
  const others = neighbourIds.map((id) => positions.get(id)).filter(Boolean);
  const directions = others.map((other) => Math.atan2(other.y - position.y, other.x - position.x));
  let best = LABEL_SIDES[0];
  let bestScore = [Infinity, Infinity, Infinity];
  for (const side of LABEL_SIDES) {
    const box = labelBox(side, lines);
    const outside = Number(position.x + box[0] < 0 || position.x + box[2] > width
      || position.y + box[1] < 0 || position.y + box[3] > height);
    const crossed = crossings(box, position, others);
    const clearance = Math.min(Math.PI, ...directions.map((direction) => {
      const difference = Math.abs(direction - side.angle) % (2 * Math.PI);
      return Math.min(difference, 2 * Math.PI - difference);
    })) - side.penalty;
    const score = [outside, crossed, -clearance];
    const better = score.findIndex((value, index) => value !== bestScore[index]);
    if (better !== -1 && score[better] < bestScore[better]) {
      best = side;
      bestScore = score;
    }
  }
  return best;
}

/**
 * Draw a graph as an SVG element.
 *
 * `describe` supplies the words: describe.nodeLines(node) returns one or two label lines,
 * describe.nodeTitle(node) the tooltip, describe.edgeLabel(edge) the relationship name, and
 * describe.title and describe.description the accessible name of the drawing.
 */
export function drawGraph(graph, width, height, describe) {
  const svg = svgElement("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "graph-drawing",
    role: "img",
    "aria-labelledby": "graph-title graph-desc",
    "data-node-count": graph.nodes.length,
    "data-edge-count": graph.edges.length,
  });
  svg.append(svgElement("title", { id: "graph-title" }, describe.title));
  svg.append(svgElement("desc", { id: "graph-desc" }, describe.description));
  const positions = layoutGraph(graph.nodes, graph.edges, width, height);

  // Edges first, so that nodes cover their ends; parallel edges curve apart so that each label shows.
  const edgeLayer = svgElement("g", { class: "edges" });
  const labelLayer = svgElement("g", { class: "edge-labels" });
  const pairs = new Map();
  const neighbours = new Map();
  for (const edge of graph.edges) {
    const pair = [edge.source, edge.target].sort().join("\u0000");
    if (!pairs.has(pair)) {
      neighbours.set(edge.source, [...(neighbours.get(edge.source) ?? []), edge.target]);
      neighbours.set(edge.target, [...(neighbours.get(edge.target) ?? []), edge.source]);
    }
    pairs.set(pair, [...(pairs.get(pair) ?? []), edge]);
  }
  for (const group of pairs.values()) {
    group.forEach((edge, index) => {
      const source = positions.get(edge.source);
      const target = positions.get(edge.target);
      if (!source || !target) {
        return;
      }
      const length = Math.max(Math.hypot(target.x - source.x, target.y - source.y), 0.01);
      // The unit normal is taken from the sorted pair, so that parallel edges bend to opposite sides.
      const [first, second] = edge.source < edge.target ? [source, target] : [target, source];
      const normalX = -(second.y - first.y) / length;
      const normalY = (second.x - first.x) / length;
      // Labels of an upright pair sit side by side and need more room than those of a level pair.
      const gap = PARALLEL_EDGE_GAP * (1 + 1.2 * Math.abs(normalX));
      const offset = (index - (group.length - 1) / 2) * gap;
      const middleX = (source.x + target.x) / 2 + normalX * offset;
      const middleY = (source.y + target.y) / 2 + normalY * offset;
      // A quadratic curve through (middleX, middleY) has its control point at twice the offset.
      const controlX = (source.x + target.x) / 2 + normalX * offset * 2;
      const controlY = (source.y + target.y) / 2 + normalY * offset * 2;
      edgeLayer.append(svgElement("path", {
        d: `M ${source.x.toFixed(1)} ${source.y.toFixed(1)} Q ${controlX.toFixed(1)} ${controlY.toFixed(1)} `
          + `${target.x.toFixed(1)} ${target.y.toFixed(1)}`,
        class: `edge edge-${edge.type.toLowerCase().replaceAll("_", "-")}`,
        "data-type": edge.type,
      }));
      labelLayer.append(svgElement("text", {
        x: middleX.toFixed(1), y: middleY.toFixed(1), class: "edge-label", "text-anchor": "middle",
        "dominant-baseline": "middle",
      }, describe.edgeLabel(edge)));
    });
  }
  svg.append(edgeLayer, labelLayer);

  const nodeLayer = svgElement("g", { class: "nodes" });
  for (const node of graph.nodes) {
    const position = positions.get(node.id);
    const lines = describe.nodeLines(node);
    const side = labelSide(position, lines, neighbours.get(node.id) ?? [], positions, width, height);
    const group = svgElement("g", {
      class: `node node-${node.type.toLowerCase()}`,
      transform: `translate(${position.x.toFixed(1)} ${position.y.toFixed(1)})`,
      "data-id": node.id,
      "data-type": node.type,
    });
    group.append(svgElement("title", {}, describe.nodeTitle(node)));
    group.append(nodeShape(node.type));
    let firstLineY = 4 - ((lines.length - 1) * LINE_HEIGHT) / 2;
    if (side.y === "above") {
      firstLineY = -24 - (lines.length - 1) * LINE_HEIGHT;
    } else if (side.y === "below") {
      firstLineY = 28;
    }
    lines.forEach((line, index) => {
      group.append(svgElement("text", {
        x: side.x, y: firstLineY + index * LINE_HEIGHT, "text-anchor": side.anchor,
        class: index === 0 ? "node-label" : "node-sublabel",
      }, line));
    });
    nodeLayer.append(group);
  }
  svg.append(nodeLayer);
  return svg;
}
